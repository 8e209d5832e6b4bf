# Copyright (c) mmvg contributors. All rights reserved.
