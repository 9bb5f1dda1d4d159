"""The message bus: typed call / cast / fanout between API workers and agents."""
