"""An infinite loop at import time: the import must time out and the grade must still finish."""

while True:
    pass
