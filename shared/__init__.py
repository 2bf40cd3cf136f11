"""Runtime shared by every fgrevoke function: shipped inside each function's zip."""
