"""What devices report, turned into rows: events, usage sessions, presence, command results.

The gateway calls these functions for each message it takes off the broker and
commits in batches (the edge commits); nothing here knows about MQTT.
"""
