"""A local, stateful emulator of the Huawei Cloud APIs the functions call.

Each emulated service is one module here defining an ``EmulatedService`` (``service.py``); the emulator finds it.
"""

from fgrevoke.emulator.server import Emulator, Fault

__all__ = ["Emulator", "Fault"]
