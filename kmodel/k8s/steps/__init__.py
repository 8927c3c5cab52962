"""The model's steps, one module per kind: watches (``watch``), reconciles (``reconcile``), time
(``timing``), faults (``faults``) and user actions (``user``). Each step is a pure function of
``(wiring, state, ...)`` returning the next state, or None when it is not enabled (it would
change nothing); ``log``, when given, collects one line per thing that happened."""
