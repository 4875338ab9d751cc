-- The guard works from hooks that only a preloaded library installs in every
-- session.  Creating the extension loads the library into this session only;
-- say so if that is all there is.
DO $$
BEGIN
	IF NOT (SELECT preloaded FROM @extschema@.status()) THEN
		RAISE WARNING 'tenant_guard is not preloaded, so it guards this session only'
			USING DETAIL = 'Sessions that do not load the library are not protected by its rules.',
				  HINT = 'Add tenant_guard to shared_preload_libraries in postgresql.conf and restart the server.';
	END IF;
END
$$;
