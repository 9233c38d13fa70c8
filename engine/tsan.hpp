// ThreadSanitizer support for the moodycamel queues: they annotate their hand-offs only when
// the compiler has __has_feature (clang, GCC >= 14). With older GCC, TSan (-fsanitize=thread,
// CMake -DOBROL_SANITIZE=thread) would report every queue hand-off as a race, so provide
// the annotations here. Include before any moodycamel header.
#pragma once

#if defined(__SANITIZE_THREAD__) && !defined(AE_TSAN_ANNOTATE_RELEASE)
namespace moodycamel {
inline int ae_tsan_global;
}
extern "C" void AnnotateHappensBefore(const char*, int, void*);
extern "C" void AnnotateHappensAfter(const char*, int, void*);
#define AE_TSAN_ANNOTATE_RELEASE() AnnotateHappensBefore(__FILE__, __LINE__, (void*)(&::moodycamel::ae_tsan_global))
#define AE_TSAN_ANNOTATE_ACQUIRE() AnnotateHappensAfter(__FILE__, __LINE__, (void*)(&::moodycamel::ae_tsan_global))
#endif
