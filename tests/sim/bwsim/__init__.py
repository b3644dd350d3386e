# bwsim: a simulator of Bandwidth's reports API, the test stand-in for bwreportfs.
# Standard library only; see docs/simulator.md for the contract.
"""bwsim: a simulator of Bandwidth's reports API (docs/simulator.md)."""

__version__ = "1.0"
