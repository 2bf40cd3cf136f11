"""fgrevoke developer tooling: the local Huawei Cloud emulator, local invoke, the demo.

Never packed into a function's deployment zip; the functions ship only ``shared/``.
"""
