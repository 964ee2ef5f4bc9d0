"""Street lights: the example module of docs/modules.md (a register of lights; a broken one raises a case).

It lives in the tests and is installed the way a district installs its own module: through the
``pingan.modules`` entry point (see ``tests/modules/conftest.py``). Copy it to start a new module.
"""
