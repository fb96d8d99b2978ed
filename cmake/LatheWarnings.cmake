# SPDX-License-Identifier: GPL-3.0-or-later
# Strict warnings for our own targets only; third-party headers come in as SYSTEM includes.
function(lathe_set_warnings target)
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    if(LATHE_WERROR)
        target_compile_options(${target} PRIVATE -Werror)
    endif()
endfunction()
