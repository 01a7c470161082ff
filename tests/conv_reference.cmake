# The conv2d test cases once more with MINIDL_CONV=reference in the environment, so that every CPU
# convolution runs the readable reference (core/cpu/conv_reference.cpp) chosen at run time, and
# the error a bad value gives. Included from tests/CMakeLists.txt, after minidl_tests is defined.
# (Each [conv] case already runs both kernels through a test-only setter; these entries check the
# environment variable itself. The [kernels] cases set their kernels explicitly, so they are left
# out here. -w NoTests: a filter that matches no case fails the entry instead of passing it.)
add_test(NAME conv.reference_kernels COMMAND minidl_tests -w NoTests "[conv]~[kernels]"
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(conv.reference_kernels PROPERTIES ENVIRONMENT MINIDL_CONV=reference)
add_test(NAME conv.rejects_a_bad_MINIDL_CONV
         COMMAND minidl_tests -w NoTests
                 "conv: MINIDL_CONV in the environment chooses the CPU kernels"
         WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(conv.rejects_a_bad_MINIDL_CONV PROPERTIES ENVIRONMENT MINIDL_CONV=fsat)
