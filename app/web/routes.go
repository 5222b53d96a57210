package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// routes registers every route of the site, so the whole site reads here.
func (s *Server) routes(app *fiber.App) {
	if s.observe != nil {
		app.Use(s.observe) // first: metrics and the access log see every answer
	}
	// A bug in one handler must cost one request a 500, not the server.
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: s.logPanic}))
	s.protectAll(app)
	app.Use(s.withHostCookies)
	app.Use(s.keepPublicPages())
	// Slow 3G is the rule for our readers: text goes out compressed. The
	// fastest level: on a 2-core server the default level cost a sixth of
	// a page's CPU for a few percent fewer bytes.
	app.Use(compress.New(compress.Config{Level: compress.LevelBestSpeed}))
	app.Get("/healthz", s.healthz)
	app.Get("/readyz", s.readyz())
	app.Get("/static/*", s.staticFile)
	app.Get("/favicon.ico", s.favicon)
	app.Get("/sw.js", s.fixedFile("sw.js", "text/javascript; charset=utf-8"))
	app.Get("/manifest.webmanifest", s.fixedFile("manifest.webmanifest", "application/manifest+json"))

	app.Use(s.withLocale)

	verifyLimit := s.rateLimit("verify", verifyCeiling*s.cfg.VerifyLimit, verifyWindow)

	// Public, machine-readable: no session, no CSRF.
	app.Get("/api/v1/verify/:code", verifyLimit, s.verifyJSON)
	app.Post("/api/v1/credentials/verify", verifyLimit, s.verifyCredential)
	app.Get("/api/v1/provinces/:code/communes", s.communesJSON)
	app.Get("/api/v1/ranking", s.rankingAPI)
	app.Get("/.well-known/jwks.json", s.jwks)
	app.Get("/api/openapi.json", s.openAPI)
	app.Get("/credentials/status/:list", s.statusList)
	app.Get("/credentials/:code.json", verifyLimit, s.credentialJSON)
	app.Get("/courses/:course/img/:name", s.courseImage)
	app.Get("/certificates/:code/qr.png", s.certificateQRPNG)
	app.Get("/certificates/:code/qr.svg", s.certificateQRSVG)
	app.Get("/join/:code/qr.png", s.joinQR)

	app.Use(s.withSession(), s.withCSRF)

	app.Get("/", s.home)
	app.Get("/register", s.registerForm)
	app.Post("/register", s.register)
	app.Get("/login", s.loginForm)
	app.Post("/login", s.login)
	app.Post("/logout", s.logout)
	app.Get("/reset", s.resetForm)
	app.Post("/reset", s.reset)
	app.Get("/setup/:token", s.setupForm)
	app.Post("/setup/:token", s.setup)

	app.Get("/courses/:course", s.course)
	app.Get("/courses/:course/lessons/:lesson", s.lesson)
	app.Post("/courses/:course/lessons/:lesson", needUser, s.lessonDone)
	app.Get("/courses/:course/quiz", needUser, s.quizStart)
	app.Get("/courses/:course/quiz/:attempt", needUser, s.quizPage)
	app.Post("/courses/:course/quiz/:attempt", needUser, s.quizSubmit)

	app.Get("/account", needUser, s.account)
	app.Get("/account/data.json", needUser, s.myData)
	app.Post("/account/password", needUser, s.changePassword)
	app.Post("/account/claim", needUser, s.claimOnAccount)
	app.Post("/account/leave-team", needUser, s.leaveTeam)
	app.Post("/account/delete", needUser, s.deleteAccount)

	app.Get("/certificates", needUser, s.myCertificates)
	app.Get("/certificates/:code", needUser, s.certificate)
	app.Get("/certificates/:code/certificate.pdf", needUser, s.certificatePDF)
	app.Get("/certificates/:code/credential.json", needUser, s.myCredential)
	app.Post("/certificates/:code/privacy", needUser, s.certificatePrivacy)

	app.Get("/v", s.verifyForm)
	app.Get("/v/:code", verifyLimit, s.verifyPage)
	app.Post("/v/:code/name", verifyLimit, s.verifyName)

	app.Get("/join", s.joinByCode)
	app.Get("/join/:code", s.joinPage)
	app.Post("/join/:code", needUser, s.join)
	app.Get("/join/:code/poster", needUser, s.poster)

	app.Get("/teams", needUser, s.myTeams)
	app.Get("/teams/:code", needUser, s.teamDashboard)
	app.Get("/teams/:code/members.csv", needUser, s.teamSheet("csv"))
	app.Get("/teams/:code/members.xlsx", needUser, s.teamSheet("xlsx"))
	app.Get("/teams/:code/households.csv", needUser, s.householdSheet("csv"))
	app.Get("/teams/:code/households.xlsx", needUser, s.householdSheet("xlsx"))
	app.Post("/teams/:code/households", needUser, s.createHousehold)
	app.Post("/teams/:code/households/count", needUser, s.setHouseholdCount)
	app.Post("/teams/:code/households/:id/rename", needUser, s.renameHousehold)
	app.Post("/teams/:code/households/:id/delete", needUser, s.deleteHousehold)
	app.Get("/teams/:code/members/:user/household", needUser, s.memberHousehold)
	app.Post("/teams/:code/members/:user/household", needUser, s.setMemberHousehold)
	app.Get("/teams/:code/members/:user/practice", needUser, s.memberPractice)
	app.Post("/teams/:code/members/:user/practice", needUser, s.setPractice)
	app.Get("/teams/:code/certificates.pdf", needUser, s.teamCertificatesPDF)
	app.Get("/teams/:code/members/:user/reset", needUser, s.resetCodePage)
	app.Post("/teams/:code/members/:user/reset", needUser, s.makeResetCode)
	app.Get("/teams/:code/assist", needUser, s.assistStart)
	app.Post("/teams/:code/assist", needUser, s.assistCheck)
	app.Post("/teams/:code/assist/consent", needUser, s.assistRegister)
	app.Get("/teams/:code/assist/:user", needUser, s.assistDonePage)

	app.Get("/ranking", s.rankingPage)
	app.Get("/places", needUser, s.myPlaces)
	app.Post("/places/officials/remove", needUser, s.removeOfficial)
	app.Get("/appointments/:id/code", needUser, s.claimCodePage)
	app.Post("/appointments/:id/code", needUser, s.makeClaimCode)
	app.Get("/places/:province", needUser, s.provincePage)
	app.Get("/places/:province/communes.xlsx", needUser, s.provinceSheet("xlsx"))
	app.Get("/places/:province/communes.csv", needUser, s.provinceSheet("csv"))
	app.Post("/places/:province/officials", needUser, s.appointProvinceOfficial)
	app.Get("/places/:province/:commune", needUser, s.communePage)
	app.Get("/places/:province/:commune/teams.xlsx", needUser, s.communeSheet("xlsx"))
	app.Get("/places/:province/:commune/teams.csv", needUser, s.communeSheet("csv"))
	app.Post("/places/:province/:commune/officials", needUser, s.appointCommuneOfficial)
	app.Post("/places/:province/:commune/teams", needUser, s.createCommuneTeam)
	app.Post("/places/:province/:commune/teams/:code/leader", needUser, s.appointCommuneLeader)

	app.Get("/admin", needAdmin, s.adminHome)
	app.Post("/admin/teams", needAdmin, s.adminCreateTeam)
	app.Post("/admin/teams/:code/leader", needAdmin, s.adminAppointLeader)
	app.Get("/admin/certificates", needAdmin, s.adminFindCertificate)
	app.Get("/admin/certificates/:code", needAdmin, s.adminCertificate)
	app.Post("/admin/certificates/:code/revoke", needAdmin, s.adminRevoke)
	app.Post("/admin/certificates/:code/rename", needAdmin, s.adminRename)
	app.Get("/admin/audit", needAdmin, s.adminAudit)
	app.Get("/admin/people/:user/reset", needAdmin, s.adminResetCodePage)
	app.Post("/admin/people/:user/reset", needAdmin, s.adminMakeResetCode)

	app.Use(func(c *fiber.Ctx) error { return errNotFound })
}
