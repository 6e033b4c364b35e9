"""System tests: `python main.py` as real processes (webhook mode, the fake Bot API served over HTTP):
two replicas on one PostgreSQL, and a process killed with SIGKILL then started again."""
