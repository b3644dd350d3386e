"""Test harness: start the simulator and mount bwreportfs for real, and always clean up."""
