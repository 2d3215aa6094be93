# Checks that a file's content matches a regex: -DFILE=path -DEXPECT_RE=regex.
file(READ ${FILE} content)
if(NOT content MATCHES "${EXPECT_RE}")
  message(FATAL_ERROR "${FILE} does not match /${EXPECT_RE}/\n--- content:\n${content}")
endif()
