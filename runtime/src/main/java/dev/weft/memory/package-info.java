/**
 * Memory sizing and budgets: what an object costs, known as early as possible.
 */
package dev.weft.memory;
