print("placeholder; replaced by the example")
