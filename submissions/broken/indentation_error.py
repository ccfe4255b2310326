def relu(s):
  return s
    return 0
