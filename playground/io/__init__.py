"""Files in and out: checkpoints, code export, trained starts, the shipped JSON reader."""
