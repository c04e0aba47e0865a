"""The operators' review queue of merchants' reels (public schema, the admin panel): a `ReelReview` row per reel
waiting, written when tenant_apps.reels signals a submission; approve / reject (with a reason the merchant reads in
its console) decide in the merchant's schema through `tenant_apps.reels.services.reel_moderate`."""
