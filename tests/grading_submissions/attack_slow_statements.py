import time

def slow_0(_=time.sleep(0.9)):
    pass

def slow_1(_=time.sleep(0.9)):
    pass

def slow_2(_=time.sleep(0.9)):
    pass

def slow_3(_=time.sleep(0.9)):
    pass

def slow_4(_=time.sleep(0.9)):
    pass

def slow_5(_=time.sleep(0.9)):
    pass

def slow_6(_=time.sleep(0.9)):
    pass

def slow_7(_=time.sleep(0.9)):
    pass

def slow_8(_=time.sleep(0.9)):
    pass

def slow_9(_=time.sleep(0.9)):
    pass

def slow_10(_=time.sleep(0.9)):
    pass

def slow_11(_=time.sleep(0.9)):
    pass

def slow_12(_=time.sleep(0.9)):
    pass

def slow_13(_=time.sleep(0.9)):
    pass

def slow_14(_=time.sleep(0.9)):
    pass

def slow_15(_=time.sleep(0.9)):
    pass

def slow_16(_=time.sleep(0.9)):
    pass

def slow_17(_=time.sleep(0.9)):
    pass

def slow_18(_=time.sleep(0.9)):
    pass

def slow_19(_=time.sleep(0.9)):
    pass

def slow_20(_=time.sleep(0.9)):
    pass

def slow_21(_=time.sleep(0.9)):
    pass

def slow_22(_=time.sleep(0.9)):
    pass

def slow_23(_=time.sleep(0.9)):
    pass

def slow_24(_=time.sleep(0.9)):
    pass

def slow_25(_=time.sleep(0.9)):
    pass

def slow_26(_=time.sleep(0.9)):
    pass

def slow_27(_=time.sleep(0.9)):
    pass

def slow_28(_=time.sleep(0.9)):
    pass

def slow_29(_=time.sleep(0.9)):
    pass

def add_backward(a, b, out, dout):
    return dout, dout
