# Copyright (c) mmvg contributors. All rights reserved.
__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """Split a version string such as ``'0.1.0rc1'`` into a tuple.

    Args:
        version_str (str): The version string.

    Returns:
        tuple: ``(0, 1, 0, 'rc1')`` for ``'0.1.0rc1'``.
    """
    version_info = []
    for part in version_str.split('.'):
        if part.isdigit():
            version_info.append(int(part))
        elif 'rc' in part:
            major, rc = part.split('rc')
            version_info.append(int(major))
            version_info.append(f'rc{rc}')
    return tuple(version_info)


version_info = parse_version_info(__version__)
