# Fails when a file under DIR includes ImGui or GLFW.
file(GLOB_RECURSE files ${DIR}/*.hpp ${DIR}/*.cpp)
foreach(f ${files})
    file(STRINGS ${f} hits REGEX "#include[ \t]*[<\"](imgui|backends/imgui|GLFW/)")
    if(hits)
        message(FATAL_ERROR "${f} includes UI code: ${hits}")
    endif()
endforeach()
