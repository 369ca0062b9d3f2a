"""The supervisor's workplace: listen, whisper and barge in on agents' calls, take calls over, and act
on agents (force ready, pause with a reason, log out), within the queues each supervisor supervises."""
