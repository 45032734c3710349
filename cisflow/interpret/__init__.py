"""What a trained model learned.

``interpret`` (the interpret rule), ``subsample`` (the test sequences looked at), ``filters`` (a
first-layer filter becomes a PWM), ``matching`` (Tomtom against JASPAR), ``matches`` (which
matches count: defined once), ``jaspar`` (the database, offline), ``influence`` (filters
silenced in turn), ``attribution`` (saliency, ISM), ``logos`` (the figures), ``modisco`` (the
modisco rule: TF-MoDISco patterns).
"""
