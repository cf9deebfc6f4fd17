# imported for registration
from .hooks import *  # noqa: F401,F403
