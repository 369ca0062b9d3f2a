"""Kamailio SIP front: rendered config, a supervised process and its RPC (dispatcher over the PBX nodes)."""
