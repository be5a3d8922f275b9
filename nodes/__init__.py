"""LangGraph nodes of the Lumos agent: state, prompts, the text protocol, plan/ground/execute/answer."""
