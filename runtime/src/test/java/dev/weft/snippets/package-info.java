/**
 * The examples of the runtime's Javadoc: every {@code {@snippet class=...}} of {@code dev.weft} and
 * {@code dev.weft.memory} shows a region of a class here. They are compiled with the tests, so an example that
 * stops compiling fails the build; {@code SnippetsTest} runs the ones that make sense to run.
 */
package dev.weft.snippets;
