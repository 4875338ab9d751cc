/* tenant_guard--1.1--1.2.sql: set_tenant(), and audit() findings for session state and owner-written code */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION tenant_guard UPDATE TO '1.2'" to load this file. \quit
