"""The one exception a tool raises for a failure the agent should see as an observation."""


class ToolError(ValueError):
    """The action could not be carried out; the message is shown to the planner."""
