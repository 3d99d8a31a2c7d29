"""Sub-commands of the ``posekit`` command: each module here defines ``register(subparsers)``."""
