"""A plugin whose import fails: it must be reported, never fatal."""

raise ImportError("planted: this plugin cannot load")
