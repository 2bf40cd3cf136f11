"""A local, stateful emulator of the Huawei Cloud APIs the functions call."""

from fgrevoke.emulator.server import Emulator, Fault

__all__ = ["Emulator", "Fault"]
