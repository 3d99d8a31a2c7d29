"""posekit test suite.

A regular package, so that `tests._server` resolves here and never to the `tests` package that
sleap-io's wheel installs into site-packages (a regular package beats a folder without
`__init__.py` wherever it sits on sys.path).
"""
