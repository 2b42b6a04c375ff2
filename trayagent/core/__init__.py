"""The pure core: class names, stress rules, call state, metrics. No I/O, no OpenCV."""
