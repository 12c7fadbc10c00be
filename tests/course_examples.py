"""The course's worked examples, written once for every test file that checks them."""

import numpy as np

#: The 6x6 grey image of the edge-detection lecture.
IMAGE_6X6 = np.array(
    [
        [3, 0, 1, 2, 7, 4],
        [1, 5, 8, 9, 3, 1],
        [2, 7, 2, 5, 1, 3],
        [0, 1, 3, 1, 7, 8],
        [4, 2, 1, 6, 2, 8],
        [2, 4, 5, 2, 3, 9],
    ]
)
#: Its valid cross-correlation with the vertical-edge filter [[1, 0, -1]] * 3.
IMAGE_6X6_VERTICAL = np.array([[-5, -4, 0, 8], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]])
#: Bright-to-dark step: every row is 10, 10, 10, 0, 0, 0.
STEP = np.array([[10, 10, 10, 0, 0, 0]] * 6)
#: The checker for the horizontal filter: bright top-left and bottom-right.
CHECKER = np.array([[10, 10, 10, 0, 0, 0]] * 3 + [[0, 0, 0, 10, 10, 10]] * 3)
#: Max-pooling example (f=2, s=2 gives [[9, 2], [6, 3]]).
POOL_MAX = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 3, 2, 3], [5, 6, 1, 2]])
#: Average-pooling example (a 4 where POOL_MAX has a 3; gives [[3.75, 1.25], [4, 2]]).
POOL_AVG = np.array([[1, 3, 2, 1], [2, 9, 1, 1], [1, 4, 2, 3], [5, 6, 1, 2]])
#: Second max-pooling example (gives [[6, 8], [3, 4]]).
POOL_MAX_2 = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
