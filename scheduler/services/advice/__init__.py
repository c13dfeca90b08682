"""The solver as an advisor: what would seat the people a version leaves out (``suggestions``), where a
newcomer fits now (``best_fit``), and what if a facilitator, a room or a slot goes (``what_if``)."""
