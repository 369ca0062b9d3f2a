"""The TURN server of browser phones behind NAT (coturn) and the short-lived credentials handed to them."""
