/**
 * Run configuration: the published LAMDA-PILOT/CaRE JSON keys plus care4j's own, validated in one place
 * with errors that name the key.
 */
package org.care4j.config;
