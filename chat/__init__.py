"""Text chat as a routed contact: citizens chat with agents through the same ACD as calls."""
