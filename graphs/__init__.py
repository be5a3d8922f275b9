"""Graph topologies (Lumos-I, Lumos-O), the CLI and the server entry points."""
