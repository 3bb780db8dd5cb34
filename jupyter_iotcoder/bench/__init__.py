"""The IoT benchmark: tasks with tests, a sandboxed runner, pass@k and reports."""
