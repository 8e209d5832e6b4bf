# Copyright (c) mmvg contributors. All rights reserved.
"""Deprecated: import the helpers from :mod:`mmvg.testing`.

Kept until every test imports ``free_port``, ``run_tool`` and
``consolidate`` from :mod:`mmvg.testing`; then this file goes.
"""
from mmvg.testing import consolidate, free_port, run_tool  # noqa: F401
