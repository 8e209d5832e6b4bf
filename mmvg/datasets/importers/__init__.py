# Copyright (c) mmvg contributors. All rights reserved.
"""Library code of the importers in ``data_tools/``: every public
grounding format to the canonical schema."""
