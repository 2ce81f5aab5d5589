# configuration_md_fresh: CONFIGURATION.md at the repository root is generated from the config
# table by `rtrec conf --markdown` and committed (as librdkafka does with its CONFIGURATION.md);
# this fails, with the command to regenerate it, when the committed file is not what the table
# prints. cmake -DRTREC=<rtrec binary> -DDOC=<CONFIGURATION.md> -DOUT=<scratch file> -P this
execute_process(COMMAND ${RTREC} conf --markdown OUTPUT_FILE ${OUT} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "`${RTREC} conf --markdown` exited with ${rc}")
endif()
file(READ ${OUT} fresh)
file(READ ${DOC} committed)
if(NOT fresh STREQUAL committed)
  execute_process(COMMAND diff -u ${DOC} ${OUT})
  message(FATAL_ERROR "CONFIGURATION.md differs from the config table (diff above); "
                      "regenerate it with:\n  ${RTREC} conf --markdown > ${DOC}")
endif()
