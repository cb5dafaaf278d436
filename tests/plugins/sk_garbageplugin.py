"""A plugin that returns something that is not a list of collectors."""

from toolkit.plugins import hookimpl


@hookimpl
def supportkit_collectors():
    return "not a list"
