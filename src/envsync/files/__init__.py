"""One module per file format: how it quotes a credential, how its consumer reads one back,
and how to replace only what envsync owns in it while keeping every other byte."""
