"""drdrill's AI-provider simulator, shipped as the `drdrill/provider-sim:local` image.

`provider_sim.py` runs on its own (standard library only) inside that image; see its docstring.
"""
