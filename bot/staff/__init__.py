"""Staff work from the messenger: desks, commands, who may do what."""
