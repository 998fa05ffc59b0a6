"""Read a photo of a charger's screen: find the screen, read its text offline, match the codes.

Heavy parts (numpy, OpenCV, onnxruntime) load only when a photo is read: importing this package
costs nothing, so commands that never scan stay quick to start.
"""
